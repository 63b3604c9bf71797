package api

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var updateSurface = flag.Bool("update-surface", false, "rewrite testdata/surface.txt with the package's exported functions and methods")

// TestExportedSurface pins the package's exported functions and methods to
// testdata/surface.txt, so that growing the API is a decision, written in docs/client.md
// ("What the package exports"), and not an accident. After a deliberate change, run
// go test ./api -run TestExportedSurface -update-surface and update the doc's counts.
func TestExportedSurface(t *testing.T) {
	got := exportedSurface(t)
	if *updateSurface {
		if err := os.WriteFile("testdata/surface.txt", []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile("testdata/surface.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, f := range got {
		if !slices.Contains(want, f) {
			t.Errorf("new exported function %s: justify it in docs/client.md, then run with -update-surface", f)
		}
	}
	for _, f := range want {
		if !slices.Contains(got, f) {
			t.Errorf("exported function %s is gone: a user may call it; keep a deprecated alias, or run with -update-surface", f)
		}
	}
}

// exportedSurface lists the package's exported functions, and the exported methods of its
// exported types, as "Name" and "Type.Name", sorted.
func exportedSurface(t *testing.T) []string {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || !fd.Name.IsExported() {
				continue
			}
			if fd.Recv == nil {
				names = append(names, fd.Name.Name)
			} else if recv := receiverName(fd.Recv.List[0].Type); ast.IsExported(recv) {
				names = append(names, recv+"."+fd.Name.Name)
			}
		}
	}
	slices.Sort(names)
	return names
}

func receiverName(e ast.Expr) string {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}
