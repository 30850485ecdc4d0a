package boot

import "testing"

func TestMemoryLimit(t *testing.T) {
	cases := []struct {
		name      string
		env       map[string]string
		wantBytes int64
		wantSet   bool
	}{
		{"128 MB function", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, 107374182, true},
		{"512 MB function", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}, 429496729, true},
		{"explicit GOMEMLIMIT wins", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "GOMEMLIMIT": "64MiB"}, 0, false},
		{"outside Lambda", map[string]string{}, 0, false},
		{"not a number", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, 0, false},
		{"below Lambda's minimum", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "64"}, 0, false},
		{"above Lambda's maximum", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "20000"}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := MemoryLimit(func(k string) string { return c.env[k] })
			if got != c.wantBytes || ok != c.wantSet {
				t.Errorf("MemoryLimit = %d, %v; want %d, %v", got, ok, c.wantBytes, c.wantSet)
			}
		})
	}
}
