package document

// Field is one key of a mapping in a user document, declared once: the
// parser accepts exactly the declared keys (Names) and shared/schema
// generates the JSON Schema's properties, required list and descriptions
// from the same declaration.
type Field struct {
	Name     string
	Doc      string // one line for the schema's description
	Required bool   // the parser refuses the mapping without it
}

// Names are the fields' names, in declaration order.
func Names(fields []Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Name
	}
	return out
}
