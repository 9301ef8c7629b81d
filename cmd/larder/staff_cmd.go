package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// staffUsage is the help of larder staff.
const staffUsage = `usage: larder staff password

  password   read a password (one line) from stdin and print its bcrypt
             hash, for password_hash in staff.yaml
`

// Password rules of larder staff password: bcrypt reads no further than
// maxPasswordBytes.
const (
	minPasswordLength = 12
	maxPasswordBytes  = 72
)

// passwordCost is the bcrypt cost of the hashes larder staff password
// prints: about a quarter of a second a sign-in.
const passwordCost = 12

// staffCommand manages staff sign-in.
func staffCommand(args []string, in io.Reader, out, errOut io.Writer) int {
	switch {
	case len(args) == 1 && args[0] == "password":
		return staffPassword(in, out, errOut)
	case len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help"):
		fmt.Fprint(out, staffUsage)
		return 0
	default:
		fmt.Fprint(errOut, staffUsage)
		return 2
	}
}

// staffPassword reads one line from in and prints its bcrypt hash.
func staffPassword(in io.Reader, out, errOut io.Writer) int {
	fmt.Fprintf(errOut, "Password (at least %d characters; it is shown as you type), then Enter:\n", minPasswordLength)
	password, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(errOut, "larder staff password: read the password: %v\n", err)
		return 1
	}
	password = strings.TrimRight(password, "\r\n")
	switch {
	case utf8.RuneCountInString(password) < minPasswordLength:
		fmt.Fprintf(errOut, "larder staff password: the password has %d characters; use at least %d (three or four random words are easy to type)\n", utf8.RuneCountInString(password), minPasswordLength)
		return 2
	case len(password) > maxPasswordBytes:
		fmt.Fprintf(errOut, "larder staff password: the password is longer than bcrypt reads (%d bytes); use a shorter one\n", maxPasswordBytes)
		return 2
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), passwordCost)
	if err != nil {
		fmt.Fprintf(errOut, "larder staff password: %v\n", err)
		return 1
	}
	fmt.Fprintf(out, "%s\n", hash)
	fmt.Fprintln(errOut, `Put it in staff.yaml as the user's password_hash, in quotes: password_hash: "$2a$..."`)
	return 0
}
