package mail_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/larder-council/larder/connectors/mail"
)

var confirm = mail.Message{
	Key:     "MB-7K4Q-2PXD/confirm",
	To:      "sam@example.com",
	Subject: "Missed bin reported: MB-7K4Q-2PXD",
	Text:    "Dear Sam Resident,\n\nYour reference is MB-7K4Q-2PXD.\n",
}

var messageID = regexp.MustCompile(`(?m)^Message-ID: <[0-9a-f]{32}@larchester\.example>\r?$`)

func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestOutboxWritesOneFilePerKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox") // created on first use
	o := &mail.Outbox{Dir: dir, From: "Larchester Council <noreply@larchester.example>"}
	if err := o.Send(context.Background(), confirm); err != nil {
		t.Fatal(err)
	}
	if got := emlFiles(t, dir); len(got) != 1 || got[0] != "MB-7K4Q-2PXD_confirm.eml" {
		t.Fatalf("outbox holds %v, want [MB-7K4Q-2PXD_confirm.eml]", got)
	}
	data, err := os.ReadFile(filepath.Join(dir, "MB-7K4Q-2PXD_confirm.eml"))
	if err != nil {
		t.Fatal(err)
	}
	eml := string(data)
	for _, want := range []string{"Subject: Missed bin reported: MB-7K4Q-2PXD", "To: <sam@example.com>", "noreply@larchester.example", "Your reference is MB-7K4Q-2PXD."} {
		if !strings.Contains(eml, want) {
			t.Errorf("message does not contain %q:\n%s", want, eml)
		}
	}
	if !messageID.MatchString(eml) {
		t.Errorf("message has no Message-ID derived from its key:\n%s", eml)
	}
}

func TestOutboxSendTwiceKeepsTheFirst(t *testing.T) {
	dir := t.TempDir()
	o := &mail.Outbox{Dir: dir, From: "noreply@larchester.example"}
	if err := o.Send(context.Background(), confirm); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "MB-7K4Q-2PXD_confirm.eml")
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	retry := confirm
	retry.Subject = "A retried attempt rendered differently"
	if err := o.Send(context.Background(), retry); err != nil {
		t.Fatalf("second Send with the same key: %v", err)
	}
	if got := emlFiles(t, dir); len(got) != 1 {
		t.Errorf("outbox holds %v after a repeat, want one file and no temporary files", got)
	}
	again, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(first) {
		t.Error("a repeat Send changed the message already in the outbox")
	}
}

func TestOutboxKeysAreSeparate(t *testing.T) {
	dir := t.TempDir()
	o := &mail.Outbox{Dir: dir, From: "noreply@larchester.example"}
	refused := confirm
	refused.Key = "MB-7K4Q-2PXD/refused"
	for _, m := range []mail.Message{confirm, refused} {
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(emlFiles(t, dir), " "); got != "MB-7K4Q-2PXD_confirm.eml MB-7K4Q-2PXD_refused.eml" {
		t.Errorf("outbox holds %s, want one file per key", got)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "MB-7K4Q-2PXD_confirm.eml"))
	b, _ := os.ReadFile(filepath.Join(dir, "MB-7K4Q-2PXD_refused.eml"))
	if messageID.FindString(string(a)) == messageID.FindString(string(b)) {
		t.Error("two keys got the same Message-ID")
	}
}

func TestOutboxRefusesBadAddress(t *testing.T) {
	dir := t.TempDir()
	o := &mail.Outbox{Dir: dir, From: "noreply@larchester.example"}
	bad := confirm
	bad.To = "not an address"
	if err := o.Send(context.Background(), bad); err == nil {
		t.Error("Send to a malformed address: want an error")
	}
	if got := emlFiles(t, dir); len(got) != 0 {
		t.Errorf("a refused message left %v in the outbox", got)
	}
}

func TestOutboxKeepsTheHTMLBesideTheText(t *testing.T) {
	dir := t.TempDir()
	o := &mail.Outbox{Dir: dir, From: "noreply@larchester.example"}
	m := confirm
	m.HTML = "<p>Your reference is <strong>MB-7K4Q-2PXD</strong>.</p>"
	if err := o.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "MB-7K4Q-2PXD_confirm.eml"))
	if err != nil {
		t.Fatal(err)
	}
	eml := string(data)
	for _, want := range []string{"multipart/alternative", "Content-Type: text/plain", "Content-Type: text/html", "Your reference is MB-7K4Q-2PXD.", "<strong>MB-7K4Q-2PXD</strong>"} {
		if !strings.Contains(eml, want) {
			t.Errorf("message with HTML does not contain %q:\n%s", want, eml)
		}
	}
}

func TestOutboxRefusesBadSender(t *testing.T) {
	dir := t.TempDir()
	o := &mail.Outbox{Dir: dir, From: "Larchester Council"}
	err := o.Send(context.Background(), confirm)
	if err == nil || !strings.Contains(err.Error(), `email from "Larchester Council"`) {
		t.Errorf("Send from a malformed sender = %v, want an error naming the sender", err)
	}
	if got := emlFiles(t, dir); len(got) != 0 {
		t.Errorf("a refused message left %v in the outbox", got)
	}
}

func TestOutboxFolderThatCannotBeMadeIsAnError(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "outbox")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	o := &mail.Outbox{Dir: filepath.Join(blocker, "mail"), From: "noreply@larchester.example"}
	if err := o.Send(context.Background(), confirm); err == nil || !strings.HasPrefix(err.Error(), "outbox: ") {
		t.Errorf("Send into a folder under a file = %v, want an outbox error so the activity retries", err)
	}
}
