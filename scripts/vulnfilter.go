//go:build ignore

// vulnfilter reads govulncheck's JSON stream and fails when code we call
// has a known vulnerability in a third-party module. Standard-library
// findings are listed as warnings: the fix is a newer Go patch release.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

type message struct {
	Finding *struct {
		OSV          string `json:"osv"`
		FixedVersion string `json:"fixed_version"`
		Trace        []struct {
			Module   string `json:"module"`
			Package  string `json:"package"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
}

func main() {
	dec := json.NewDecoder(os.Stdin)
	called := map[string]string{} // osv → module
	stdlib := map[string]string{}
	for {
		var m message
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "vulnfilter: reading govulncheck output:", err)
			os.Exit(2)
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue // not reached from our code
		}
		mod := f.Trace[0].Module
		if mod == "stdlib" || mod == "toolchain" {
			stdlib[f.OSV] = f.FixedVersion
		} else {
			called[f.OSV] = mod + " (fixed in " + f.FixedVersion + ")"
		}
	}
	list := func(m map[string]string) []string {
		var out []string
		for k, v := range m {
			out = append(out, k+" "+v)
		}
		sort.Strings(out)
		return out
	}
	for _, s := range list(stdlib) {
		fmt.Println("warning: standard library:", s, "— build with a newer Go patch release")
	}
	if len(called) > 0 {
		for _, s := range list(called) {
			fmt.Println("VULNERABLE:", s)
		}
		os.Exit(1)
	}
	fmt.Printf("vulncheck: no known vulnerability in a third-party module our code calls (%d in the standard library, above)\n", len(stdlib))
}
