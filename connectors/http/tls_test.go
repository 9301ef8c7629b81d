package http_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	httpconn "github.com/larder-council/larder/connectors/http"
)

// authority is a certificate authority made for one test.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

func newAuthority(t *testing.T) *authority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Larder test council CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	a := &authority{cert: cert, key: key, dir: t.TempDir()}
	a.write(t, "ca.pem", "CERTIFICATE", der)
	return a
}

func (a *authority) write(t *testing.T, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(a.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue signs a certificate for a server (127.0.0.1) or a client, and
// writes it and its key as name.pem and name-key.pem.
func (a *authority) issue(t *testing.T, name string, usage x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	a.write(t, name+".pem", "CERTIFICATE", der)
	a.write(t, name+"-key.pem", "EC PRIVATE KEY", kder)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func (a *authority) path(name string) string { return filepath.Join(a.dir, name) }

// mutualTLSServer answers {"ok": true} over TLS with a certificate from ca,
// to clients showing a certificate from clients.
func mutualTLSServer(t *testing.T, ca, clients *authority) *httptest.Server {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(clients.cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ok": true, "client": "` + r.TLS.PeerCertificates[0].Subject.CommonName + `"}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{ca.issue(t, "waste", x509.ExtKeyUsageServerAuth)},
		ClientCAs:    pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestTLSWithCouncilCAAndClientCertificate: a system whose certificate the
// council signs and which asks for Larder's certificate answers when
// ca_file, cert_file and key_file are set, and only then.
func TestTLSWithCouncilCAAndClientCertificate(t *testing.T) {
	ca := newAuthority(t)
	clients := newAuthority(t)
	clients.issue(t, "larder", x509.ExtKeyUsageClientAuth)
	srv := mutualTLSServer(t, ca, clients)

	full := &httpconn.TLS{CAFile: ca.path("ca.pem"), CertFile: clients.path("larder.pem"), KeyFile: clients.path("larder-key.pem")}
	c, err := httpconn.New("waste", httpconn.Config{BaseURL: srv.URL, TLS: full, Operations: operations()})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := call(c, "get_property", map[string]any{"uprn": "1"})
	if err != nil || out["client"] != "larder" {
		t.Fatalf("with the CA and client certificate: %v, %v; want the system's answer", out, err)
	}

	for _, tc := range []struct {
		name string
		tls  *httpconn.TLS
	}{
		{"without the CA", &httpconn.TLS{CertFile: full.CertFile, KeyFile: full.KeyFile}},
		{"without a client certificate", &httpconn.TLS{CAFile: full.CAFile}},
		{"without either", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := httpconn.New("waste", httpconn.Config{BaseURL: srv.URL, TLS: tc.tls, Operations: operations()})
			if err != nil {
				t.Fatal(err)
			}
			if _, retry, err := call(c, "get_property", map[string]any{"uprn": "1"}); err == nil || !retry {
				t.Errorf("retry = %v, err = %v; want the connection refused, as an outage", retry, err)
			}
		})
	}
}

// TestTLSCAFileAlone: a server certificate signed by the council's CA is
// trusted with ca_file; the system CAs still count (TLS to a public system
// keeps working), which httptest's own certificate cannot show here.
func TestTLSCAFileAlone(t *testing.T) {
	ca := newAuthority(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"ok": true}`)) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.issue(t, "waste", x509.ExtKeyUsageServerAuth)}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c, err := httpconn.New("waste", httpconn.Config{BaseURL: srv.URL, TLS: &httpconn.TLS{CAFile: ca.path("ca.pem")}, Operations: operations()})
	if err != nil {
		t.Fatal(err)
	}
	if out, _, err := call(c, "get_property", map[string]any{"uprn": "1"}); err != nil || out["ok"] != true {
		t.Errorf("got %v, %v", out, err)
	}
}

func TestTLSConfigValidation(t *testing.T) {
	ca := newAuthority(t)
	ca.issue(t, "larder", x509.ExtKeyUsageClientAuth)
	notPEM := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		base string
		tls  httpconn.TLS
		want string
	}{
		{"no CA file", "https://waste.example", httpconn.TLS{CAFile: ca.path("nope.pem")}, "connectors.waste.http.tls.ca_file: no file "},
		{"CA file without certificates", "https://waste.example", httpconn.TLS{CAFile: notPEM}, "connectors.waste.http.tls.ca_file: holds no PEM certificate"},
		{"certificate without key", "https://waste.example", httpconn.TLS{CertFile: ca.path("larder.pem")}, "connectors.waste.http.tls.key_file: is required with cert_file"},
		{"key without certificate", "https://waste.example", httpconn.TLS{KeyFile: ca.path("larder-key.pem")}, "connectors.waste.http.tls.cert_file: is required with key_file"},
		{"no key file", "https://waste.example", httpconn.TLS{CertFile: ca.path("larder.pem"), KeyFile: ca.path("gone.pem")}, "connectors.waste.http.tls.key_file: no file "},
		{"key of another certificate", "https://waste.example", httpconn.TLS{CertFile: ca.path("larder.pem"), KeyFile: notPEM}, "connectors.waste.http.tls.cert_file: is not a PEM certificate matching key_file"},
		{"plain http", "http://waste.example", httpconn.TLS{CAFile: ca.path("ca.pem")}, "connectors.waste.http.tls: is for an https base_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.tls
			_, err := httpconn.New("waste", httpconn.Config{BaseURL: tc.base, TLS: &cfg, Operations: operations()})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
