// Package document reads the documents users write (the cleanup policy,
// the office-hours schedules) into generic values for their parsers: YAML
// or JSON, strictly, so that a key given twice is refused, never
// last-wins, and a number keeps its text (json.Number) for exact checks.
package document

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws-commander/commander/shared/strictjson"
	"gopkg.in/yaml.v3"
)

// Decode reads data, a JSON object or a YAML document; what names it in
// errors ("policy document").
func Decode(data []byte, what string) (any, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New(what + " is empty")
	}
	var raw any
	if data[0] == '{' {
		// The one strict decoder: a key given twice is refused, not last-wins.
		if err := strictjson.Check(data); err != nil {
			return nil, fmt.Errorf("%s is not valid JSON (strict: each key once, UTF-8, finite numbers): %w", what, err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s is not valid JSON: %w", what, err)
		}
		return raw, nil
	}
	// yaml.v3 refuses a key given twice in one mapping, and leaves yes/on/no
	// as strings, which the parsers then refuse where a boolean is asked.
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s is not valid YAML: %w", what, err)
	}
	return raw, nil
}
