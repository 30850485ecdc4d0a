package awsclient_test

import (
	"archive/zip"
	"bytes"
	"testing"
)

// zipWithBootstrap is a minimal deployment package: moto keeps the code, never runs it.
func zipWithBootstrap(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("#!/bin/sh\necho ok\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
