package events_test

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/natverk/natverk/events"
)

const asyncAPIPath = "../docs/asyncapi.yaml"

// loadAsyncAPI reads and parses docs/asyncapi.yaml.
func loadAsyncAPI(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(asyncAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseYAML(string(b))
	if err != nil {
		t.Fatalf("%s: %v", asyncAPIPath, err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		t.Fatalf("%s is not a mapping", asyncAPIPath)
	}
	return m
}

// get walks a path of mapping keys; it returns nil when one is missing.
func get(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func getMap(v any, path ...string) map[string]any {
	m, _ := get(v, path...).(map[string]any)
	return m
}

func getString(v any, path ...string) string {
	s, _ := get(v, path...).(string)
	return s
}

func refName(t *testing.T, ref, prefix string) string {
	t.Helper()
	if !strings.HasPrefix(ref, prefix) {
		t.Errorf("$ref %q, want one under %s", ref, prefix)
		return ""
	}
	return strings.TrimPrefix(ref, prefix)
}

func sortedKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sortedStrings(v any) []string {
	var out []string
	s, _ := v.([]any)
	for _, x := range s {
		out = append(out, fmt.Sprint(x))
	}
	sort.Strings(out)
	return out
}

func TestAsyncAPIMatchesCatalogue(t *testing.T) {
	doc := loadAsyncAPI(t)
	if v := getString(doc, "asyncapi"); v != "3.0.0" {
		t.Errorf("asyncapi = %q, want 3.0.0", v)
	}
	channels := getMap(doc, "channels")
	messages := getMap(doc, "components", "messages")
	schemas := getMap(doc, "components", "schemas")
	operations := getMap(doc, "operations")
	if channels == nil || messages == nil || schemas == nil || operations == nil {
		t.Fatal("document lacks channels, operations, components.messages or components.schemas")
	}

	// Channel addresses against catalogue subjects.
	byAddress := map[string]string{} // address -> channel key
	for key, ch := range channels {
		byAddress[getString(ch, "address")] = key
	}
	var docSubjects, catSubjects []string
	for addr := range byAddress {
		if !strings.HasPrefix(addr, events.DeadLetterPrefix) {
			docSubjects = append(docSubjects, addr)
		}
	}
	for _, ty := range events.Catalogue() {
		catSubjects = append(catSubjects, ty.Name)
	}
	sort.Strings(docSubjects)
	if diff := cmp.Diff(catSubjects, docSubjects); diff != "" {
		t.Errorf("subjects: catalogue (-) vs asyncapi channels (+):\n%s", diff)
	}

	// Receive operations against catalogue consumers.
	var docReceives, catReceives []string
	for name, op := range operations {
		if getString(op, "action") != "receive" {
			continue
		}
		ch := refName(t, getString(op, "channel", "$ref"), "#/channels/")
		addr := getString(channels, ch, "address")
		if strings.HasPrefix(addr, events.DeadLetterPrefix) {
			continue
		}
		consumer, _, ok := strings.Cut(name, "Receives")
		if !ok {
			t.Errorf("receive operation %s is not named <consumer>Receives<Channel>", name)
			continue
		}
		docReceives = append(docReceives, consumer+" "+addr)
	}
	for _, ty := range events.Catalogue() {
		for _, c := range ty.Consumers {
			catReceives = append(catReceives, c+" "+ty.Name)
		}
	}
	sort.Strings(docReceives)
	sort.Strings(catReceives)
	if diff := cmp.Diff(catReceives, docReceives); diff != "" {
		t.Errorf("consumers: catalogue (-) vs asyncapi receive operations (+):\n%s", diff)
	}

	for _, ty := range events.Catalogue() {
		t.Run(ty.Name, func(t *testing.T) {
			chKey, ok := byAddress[ty.Name]
			if !ok {
				return // reported above
			}
			ch := getMap(channels, chKey)
			if d := getString(ch, "description"); d != ty.Summary {
				t.Errorf("channel description %q, catalogue summary %q", d, ty.Summary)
			}
			chMsgs := getMap(ch, "messages")
			if len(chMsgs) != 1 {
				t.Fatalf("channel %s has %d messages, want 1", chKey, len(chMsgs))
			}
			var msgKey string
			for _, m := range chMsgs {
				msgKey = refName(t, getString(m, "$ref"), "#/components/messages/")
			}
			msg := getMap(messages, msgKey)
			if msg == nil {
				t.Fatalf("message %s not in components.messages", msgKey)
			}
			if got := getString(msg, "name"); got != ty.Name {
				t.Errorf("message name %q", got)
			}
			if got := getString(msg, "summary"); got != ty.Summary {
				t.Errorf("message summary %q, catalogue %q", got, ty.Summary)
			}
			if got := getString(msg, "x-natverk-producer"); got != ty.Producer {
				t.Errorf("producer %q, catalogue %q", got, ty.Producer)
			}
			if got := getString(msg, "headers", "$ref"); got != "#/components/schemas/EventHeaders" {
				t.Errorf("headers $ref %q", got)
			}
			allOf, _ := get(msg, "payload", "allOf").([]any)
			if len(allOf) != 2 || getString(allOf[0], "$ref") != "#/components/schemas/Envelope" {
				t.Fatalf("payload is not allOf [Envelope, {…}]: %v", get(msg, "payload"))
			}
			props := getMap(allOf[1], "properties")
			if got := getString(props, "type", "const"); got != ty.Name {
				t.Errorf("type const %q", got)
			}
			if got := getString(props, "version", "const"); got != fmt.Sprint(ty.Version) {
				t.Errorf("version const %q, catalogue %d", got, ty.Version)
			}
			schemaName := refName(t, getString(props, "payload", "$ref"), "#/components/schemas/")
			if schemaName != ty.Payload.Name() {
				t.Errorf("payload schema %s, catalogue %s", schemaName, ty.Payload.Name())
			}
			checkSchema(t, schemaName, getMap(schemas, schemaName), ty.Payload)
		})
	}
	t.Run("Envelope", func(t *testing.T) {
		checkSchema(t, "Envelope", getMap(schemas, "Envelope"), reflect.TypeFor[events.Envelope]())
	})
}

// checkSchema compares a JSON Schema object with the json tags of a Go
// struct: the same properties, of matching types, and required exactly
// when the field is neither omitempty nor a pointer.
func checkSchema(t *testing.T, name string, schema map[string]any, typ reflect.Type) {
	t.Helper()
	if schema == nil {
		t.Errorf("schema %s missing", name)
		return
	}
	if getString(schema, "type") != "object" {
		t.Errorf("schema %s is not of type object", name)
	}
	props := getMap(schema, "properties")
	want := map[string]string{}
	var wantRequired []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		want[tag] = jsonSchemaType(f.Type)
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			wantRequired = append(wantRequired, tag)
		}
	}
	got := map[string]string{}
	for k, p := range props {
		ty := getString(p, "type")
		switch {
		case ty == "array":
			ty += " of " + getString(p, "items", "type")
		case getString(p, "format") == "date-time":
			ty += " date-time"
		}
		got[k] = ty
		if getString(p, "description") == "" {
			t.Errorf("%s.%s has no description", name, k)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schema %s: Go struct %s (-) vs asyncapi (+):\n%s", name, typ.Name(), diff)
	}
	sort.Strings(wantRequired)
	if diff := cmp.Diff(wantRequired, sortedStrings(get(schema, "required"))); diff != "" {
		t.Errorf("schema %s required: Go (-) vs asyncapi (+):\n%s", name, diff)
	}
}

// jsonSchemaType names the JSON Schema type encoding/json gives t.
func jsonSchemaType(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		return "string date-time"
	case t == reflect.TypeFor[[]byte]() || t.Name() == "RawMessage":
		return "object"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array of " + jsonSchemaType(t.Elem())
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return "unsupported " + t.String()
}

// The header schemas list every header the package writes.
func TestAsyncAPIHeaders(t *testing.T) {
	doc := loadAsyncAPI(t)
	schemas := getMap(doc, "components", "schemas")
	eventHeaders := []string{events.HeaderMsgID, events.HeaderCESpecVersion, events.HeaderCEID, events.HeaderCEType,
		events.HeaderCESource, events.HeaderCETime, events.HeaderContentType, events.HeaderRetryConsumer, events.HeaderRetryOf}
	dlqHeaders := []string{events.HeaderMsgID, events.HeaderDLQReason, events.HeaderDLQSubject, events.HeaderDLQStreamSeq,
		events.HeaderDLQDeliveries, events.HeaderDLQConsumer, events.HeaderDLQMsgID}
	for _, tt := range []struct {
		schema string
		want   []string
	}{{"EventHeaders", eventHeaders}, {"DeadLetterHeaders", dlqHeaders}} {
		got := sortedKeys(getMap(schemas, tt.schema, "properties"))
		want := slices.Clone(tt.want)
		sort.Strings(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: package (-) vs asyncapi (+):\n%s", tt.schema, diff)
		}
	}
	if got := getString(schemas, "EventHeaders", "properties", events.HeaderCESource, "const"); got != events.Source {
		t.Errorf("ce-source const %q, want %q", got, events.Source)
	}
	if got := getString(schemas, "EventHeaders", "properties", events.HeaderCESpecVersion, "const"); got != events.CloudEventsSpecVersion {
		t.Errorf("ce-specversion const %q", got)
	}

	// The dead-letter channel: natverk.dlq.{consumer}, for every consumer.
	var dlq map[string]any
	for _, ch := range getMap(doc, "channels") {
		if getString(ch, "address") == events.DeadLetterPrefix+"{consumer}" {
			dlq, _ = ch.(map[string]any)
		}
	}
	if dlq == nil {
		t.Fatal("no channel with address natverk.dlq.{consumer}")
	}
	enum := sortedStrings(get(dlq, "parameters", "consumer", "enum"))
	for _, ty := range events.Catalogue() {
		for _, c := range ty.Consumers {
			if !slices.Contains(enum, c) {
				t.Errorf("consumer %s missing from the dead-letter channel's enum %v", c, enum)
			}
		}
	}
}

func TestParseYAMLSubset(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    any
		wantErr string
	}{
		{"Mapping", "a: 1\nb:\n  c: 'x: y'\n  d: [p, q]\n", map[string]any{"a": "1", "b": map[string]any{"c": "x: y", "d": []any{"p", "q"}}}, ""},
		{"Sequence", "s:\n  - one\n  - k: v\n    l: w\n", map[string]any{"s": []any{"one", map[string]any{"k": "v", "l": "w"}}}, ""},
		{"Literal", "d: |\n  line one\n\n  line two\nn: 2\n", map[string]any{"d": "line one\n\nline two\n", "n": "2"}, ""},
		{"Comment", "# c\na: 'it''s'\n", map[string]any{"a": "it's"}, ""},
		{"Duplicate", "a: 1\na: 2\n", nil, "duplicate key"},
		{"FlowMap", "a: {b: c}\n", nil, "unsupported YAML"},
		{"Anchor", "a: &x b\n", nil, "unsupported YAML"},
		{"Tab", "a:\n\tb: c\n", nil, "tab"},
		{"StrayIndent", "a: 1\n   b: 2\n", nil, "unexpected indentation"},
		{"NoColon", "a\n", nil, "want key: value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseYAML(tt.src)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// docs/EVENTS.md lists every catalogue subject in its table.
func TestEventsDocListsCatalogue(t *testing.T) {
	b, err := os.ReadFile("../docs/EVENTS.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range events.Catalogue() {
		if !strings.Contains(string(b), "| `"+ty.Name+"` | "+fmt.Sprint(ty.Version)+" | `"+ty.Payload.Name()+"` |") {
			t.Errorf("docs/EVENTS.md has no catalogue row for %s (version %d, %s)", ty.Name, ty.Version, ty.Payload.Name())
		}
	}
}
