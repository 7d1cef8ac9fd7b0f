package events_test

import (
	"fmt"
	"strings"
)

// parseYAML reads the strict YAML subset docs/asyncapi.yaml is written in:
// block mappings and sequences indented with spaces, plain and quoted
// scalars, flow sequences of scalars ([a, b]), literal block scalars (|)
// and full-line comments. It returns map[string]any, []any and string
// values, and fails on anything else (tabs, flow mappings, anchors,
// duplicate keys, stray indentation), so the document stays in a shape
// this reader understands.
func parseYAML(src string) (any, error) {
	var ls []yamlLine
	for i, raw := range strings.Split(src, "\n") {
		if strings.Contains(raw, "\t") {
			return nil, fmt.Errorf("line %d: tab", i+1)
		}
		text := strings.TrimRight(raw, " ")
		trimmed := strings.TrimLeft(text, " ")
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		ls = append(ls, yamlLine{n: i + 1, indent: len(text) - len(trimmed), text: trimmed})
	}
	p := &yamlParser{ls: ls}
	p.skipBlank()
	if p.i >= len(p.ls) {
		return nil, fmt.Errorf("empty document")
	}
	v, err := p.block(p.ls[p.i].indent)
	if err != nil {
		return nil, err
	}
	p.skipBlank()
	if p.i < len(p.ls) {
		return nil, fmt.Errorf("line %d: unexpected indentation", p.ls[p.i].n)
	}
	return v, nil
}

type yamlLine struct {
	n, indent int
	text      string // without indentation; "" for a blank line
}

type yamlParser struct {
	ls []yamlLine
	i  int
}

func (p *yamlParser) skipBlank() {
	for p.i < len(p.ls) && p.ls[p.i].text == "" {
		p.i++
	}
}

func isSeqItem(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

func (p *yamlParser) block(indent int) (any, error) {
	if isSeqItem(p.ls[p.i].text) {
		return p.sequence(indent)
	}
	return p.mapping(indent)
}

func (p *yamlParser) mapping(indent int) (map[string]any, error) {
	m := map[string]any{}
	for p.skipBlank(); p.i < len(p.ls) && p.ls[p.i].indent == indent && !isSeqItem(p.ls[p.i].text); p.skipBlank() {
		l := p.ls[p.i]
		key, rest, ok := strings.Cut(l.text, ": ")
		if !ok {
			if !strings.HasSuffix(l.text, ":") {
				return nil, fmt.Errorf("line %d: want key: value, got %q", l.n, l.text)
			}
			key, rest = strings.TrimSuffix(l.text, ":"), ""
		}
		if strings.ContainsAny(key, "{}[]&*!|>'\"%@`") && !strings.HasPrefix(key, "$") {
			return nil, fmt.Errorf("line %d: unsupported key %q", l.n, key)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %q", l.n, key)
		}
		p.i++
		rest = strings.TrimSpace(rest)
		switch {
		case rest == "|":
			m[key] = p.literal(indent)
		case rest == "":
			p.skipBlank()
			if p.i >= len(p.ls) || p.ls[p.i].indent <= indent {
				m[key] = ""
				continue
			}
			v, err := p.block(p.ls[p.i].indent)
			if err != nil {
				return nil, err
			}
			m[key] = v
		default:
			v, err := yamlScalar(rest, l.n)
			if err != nil {
				return nil, err
			}
			m[key] = v
		}
	}
	if p.i < len(p.ls) && p.ls[p.i].indent > indent {
		return nil, fmt.Errorf("line %d: unexpected indentation", p.ls[p.i].n)
	}
	return m, nil
}

func (p *yamlParser) sequence(indent int) ([]any, error) {
	var s []any
	for p.skipBlank(); p.i < len(p.ls) && p.ls[p.i].indent == indent && isSeqItem(p.ls[p.i].text); p.skipBlank() {
		l := p.ls[p.i]
		content := strings.TrimSpace(strings.TrimPrefix(l.text, "-"))
		if strings.Contains(content, ": ") || strings.HasSuffix(content, ":") {
			// A mapping item: its first key sits on the dash line.
			p.ls[p.i] = yamlLine{n: l.n, indent: indent + 2, text: content}
			v, err := p.mapping(indent + 2)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
			continue
		}
		v, err := yamlScalar(content, l.n)
		if err != nil {
			return nil, err
		}
		s = append(s, v)
		p.i++
	}
	return s, nil
}

// literal reads the lines of a | block scalar, indented deeper than indent.
func (p *yamlParser) literal(indent int) string {
	var lines []string
	base := -1
	for p.i < len(p.ls) && (p.ls[p.i].text == "" || p.ls[p.i].indent > indent) {
		l := p.ls[p.i]
		if l.text != "" && base < 0 {
			base = l.indent
		}
		if l.text == "" {
			lines = append(lines, "")
		} else {
			lines = append(lines, strings.Repeat(" ", l.indent-base)+l.text)
		}
		p.i++
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n") + "\n"
}

func yamlScalar(s string, n int) (any, error) {
	switch {
	case strings.HasPrefix(s, "["):
		if !strings.HasSuffix(s, "]") {
			return nil, fmt.Errorf("line %d: unterminated flow sequence", n)
		}
		var out []any
		for item := range strings.SplitSeq(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), ",") {
			v, err := yamlScalar(strings.TrimSpace(item), n)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case strings.HasPrefix(s, "'"):
		if len(s) < 2 || !strings.HasSuffix(s, "'") {
			return nil, fmt.Errorf("line %d: unterminated quoted string", n)
		}
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	case strings.HasPrefix(s, `"`):
		if len(s) < 2 || !strings.HasSuffix(s, `"`) || strings.Contains(s, `\`) {
			return nil, fmt.Errorf("line %d: unsupported double-quoted string", n)
		}
		return s[1 : len(s)-1], nil
	case strings.HasPrefix(s, "{"), strings.HasPrefix(s, "&"), strings.HasPrefix(s, "*"), strings.HasPrefix(s, "!"), strings.HasPrefix(s, ">"), strings.Contains(s, " #"):
		return nil, fmt.Errorf("line %d: unsupported YAML %q", n, s)
	}
	return s, nil
}
