package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/forms/staff/access"
)

// loadStaff reads staff.file into the directory staff sign in with,
// counting failed sign-ins in rdb under prefix. A missing staff.yaml
// means no staff unless staff.file was set. In development mode (dev) the
// demo accounts are added and printed, with their passwords, to stdout;
// otherwise a user whose password is a demo account's is refused, since
// the README publishes those passwords.
func loadStaff(cfg Config, rdb redis.UniversalClient, prefix string, stdout io.Writer) (*access.Directory, error) {
	d, err := access.LoadFile(cfg.StaffFile)
	switch {
	case errors.Is(err, os.ErrNotExist) && !cfg.staffFileSet:
		d = &access.Directory{}
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("staff.file %s does not exist: write it (deploy/staff.example.yaml shows how), or unset staff.file for no staff", cfg.StaffFile)
	case err != nil:
		return nil, err
	}
	if cfg.Dev {
		if err := d.Merge(access.Demo()); err != nil {
			return nil, fmt.Errorf("adding the demo staff accounts: %w from %s, or run without --dev", err, cfg.StaffFile)
		}
		printDemoAccounts(stdout, strings.TrimSuffix(cfg.HTTP.PublicURL, "/")+"/staff/sign-in")
	} else if users := d.DemoPasswordUsers(); len(users) > 0 {
		return nil, fmt.Errorf("%s: %s would sign in with a demo account's password, which the README publishes: set another with larder staff password (demo accounts are for --dev alone)", cfg.StaffFile, strings.Join(users, ", "))
	}
	d.Redis, d.Prefix = rdb, prefix
	return d, nil
}

// printDemoAccounts lists the demo accounts and their passwords.
func printDemoAccounts(w io.Writer, signIn string) {
	fmt.Fprintf(w, "Development mode (--dev): demo staff accounts sign in at %s\n", signIn)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  username\trole\tqueues\tpassword")
	for _, a := range access.DemoAccounts() {
		queues := strings.Join(a.User.Queues, ", ")
		if a.User.Role == access.RoleAdmin {
			queues = "every queue"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.User.Username, a.User.Role, queues, a.Password)
	}
	tw.Flush()
	fmt.Fprintf(w, "Recipes as designers see them (form, steps, diagram): %s\n", strings.TrimSuffix(signIn, "/staff/sign-in")+"/dev/recipes")
}
