package http

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
)

// transport is the connector's own HTTP transport, trusting the CA file
// and showing the client certificate its TLS settings name.
func (t *TLS) transport(ck *checker) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if t == nil {
		return tr
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(t.CAFile)
		switch {
		case err != nil:
			ck.at(readError(t.CAFile, err), "tls", "ca_file")
		case !pool.AppendCertsFromPEM(pem):
			ck.at("holds no PEM certificate", "tls", "ca_file")
		}
		conf.RootCAs = pool
	}
	switch {
	case t.CertFile != "" && t.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				key := "cert_file"
				if pe.Path == t.KeyFile {
					key = "key_file"
				}
				ck.at(readError(pe.Path, err), "tls", key)
			} else {
				ck.at("is not a PEM certificate matching key_file", "tls", "cert_file")
			}
		}
		conf.Certificates = []tls.Certificate{cert}
	case t.CertFile != "":
		ck.at("is required with cert_file", "tls", "key_file")
	case t.KeyFile != "":
		ck.at("is required with key_file", "tls", "cert_file")
	}
	tr.TLSClientConfig = conf
	return tr
}

// readError says a file could not be read, naming it but not its content.
func readError(path string, err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "no file " + filepath.ToSlash(path)
	}
	return "cannot read " + filepath.ToSlash(path)
}
