// Package strictjson is the one strict JSON decoder every entry point uses
// (api bodies and direct payloads, EventBridge and alarm events, job requests
// and cursors, policy documents). encoding/json alone lets the last of two
// duplicate keys win (so {"dryRun":true,"dryRun":false} acts for real),
// matches field names without regard to case, and turns invalid UTF-8 into
// U+FFFD; here each of those is an error that names where it is. Callers run
// Check on the raw bytes, then decode with encoding/json as before.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth bounds nesting: no document we accept needs more, and deep nesting
// is only a way to make a decoder work.
const MaxDepth = 64

// Error is a document refused, with where (a JSON path such as
// $.params.tags) and why.
type Error struct {
	Path    string
	Problem string
}

func (e *Error) Error() string {
	if e.Path == "" || e.Path == "$" {
		return e.Problem
	}
	return e.Path + ": " + e.Problem
}

// Check refuses what encoding/json would accept or coerce: a byte order
// mark, an empty document, invalid UTF-8 (also as a lone \u surrogate),
// NaN and Infinity, nesting deeper than MaxDepth, two keys of one object
// equal without regard to case (encoding/json would fill one field from
// either), and anything after the one value.
func Check(raw []byte) error {
	if bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
		return &Error{Problem: "the document starts with a byte order mark: send UTF-8 JSON without one"}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return &Error{Problem: "the document is empty: a JSON value is required"}
	}
	if !utf8.Valid(raw) {
		off := 0
		for off < len(raw) {
			r, n := utf8.DecodeRune(raw[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return &Error{Problem: fmt.Sprintf("invalid UTF-8 at byte %d: text must be UTF-8", off)}
	}
	w := walker{dec: json.NewDecoder(bytes.NewReader(raw)), raw: raw}
	w.dec.UseNumber()
	if err := w.value("$", 0); err != nil {
		return err
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return &Error{Problem: fmt.Sprintf("unexpected data after the JSON value at byte %d", w.dec.InputOffset())}
	}
	return nil
}

type walker struct {
	dec *json.Decoder
	raw []byte
}

func (w *walker) token(path string) (json.Token, error) {
	off := w.dec.InputOffset()
	t, err := w.dec.Token()
	if err == nil {
		return t, nil
	}
	if err == io.EOF {
		return nil, &Error{Path: path, Problem: "the document ends early: a value is missing"}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		rest := bytes.TrimLeft(w.raw[min(int(off), len(w.raw)):], " \t\r\n,:")
		for _, word := range []string{"NaN", "Infinity", "-Infinity", "+Infinity"} {
			if bytes.HasPrefix(rest, []byte(word)) {
				return nil, &Error{Path: path, Problem: word + " is not a JSON number: accepts a finite number"}
			}
		}
		return nil, &Error{Path: path, Problem: fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))}
	}
	return nil, &Error{Path: path, Problem: "malformed JSON: " + err.Error()}
}

func (w *walker) value(path string, depth int) error {
	if depth > MaxDepth {
		return &Error{Path: path, Problem: fmt.Sprintf("nested deeper than %d levels", MaxDepth)}
	}
	t, err := w.token(path)
	if err != nil {
		return err
	}
	switch v := t.(type) {
	case json.Delim:
		switch v {
		case '{':
			return w.object(path, depth)
		case '[':
			for i := 0; w.dec.More(); i++ {
				if err := w.value(path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
					return err
				}
			}
			_, err := w.token(path)
			return err
		}
	case string:
		return text(path, v)
	}
	return nil
}

func (w *walker) object(path string, depth int) error {
	seen := map[string]string{}
	for w.dec.More() {
		t, err := w.token(path)
		if err != nil {
			return err
		}
		k, _ := t.(string)
		if err := text(path, k); err != nil {
			return err
		}
		fold := strings.ToLower(k)
		if prev, dup := seen[fold]; dup {
			if prev == k {
				return &Error{Path: path, Problem: fmt.Sprintf("key %q is given twice: give each key once", k)}
			}
			return &Error{Path: path, Problem: fmt.Sprintf("keys %q and %q differ only in case: give each key once, in the documented case", prev, k)}
		}
		seen[fold] = k
		if err := w.value(path+"."+k, depth+1); err != nil {
			return err
		}
	}
	_, err := w.token(path)
	return err
}

// text refuses a string that decoded to U+FFFD: encoding/json's stand-in for
// a lone surrogate escape, which is not text.
func text(path, s string) error {
	if strings.ContainsRune(s, utf8.RuneError) {
		return &Error{Path: path, Problem: "a string holds an invalid \\u escape (a lone surrogate) or U+FFFD: text must be valid Unicode"}
	}
	return nil
}
