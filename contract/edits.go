package contract

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// applyFields makes the body edits es to fields and returns them. Nested edits (edit.at) work on
// a copy of fields in JSON's own types (maps, []any), so that an array of the well-formed
// request can be edited by index.
func applyFields(fields map[string]any, es []edit, value func(any) any) map[string]any {
	for _, e := range es {
		if len(e.at) == 0 {
			if e.del {
				delete(fields, e.name)
			} else {
				fields[e.name] = value(e.value)
			}
			continue
		}
		fields = plainJSON(fields)
		if fields == nil {
			fields = map[string]any{}
		}
		setAt(fields, e.at, value(e.value), e.del)
	}
	return fields
}

// plainJSON returns v with JSON's own types only: map[string]any, []any, json numbers as
// float64 and strings.
func plainJSON(v map[string]any) map[string]any {
	if v == nil {
		return nil
	}
	var out map[string]any
	_ = json.Unmarshal(jsonBody(v), &out)
	return out
}

// setAt sets (or deletes) the value at the JSON pointer tokens at below root, making the objects
// on the way when they are missing. An index past an array's end appends.
func setAt(root any, at []string, v any, del bool) any {
	if len(at) == 0 {
		return v
	}
	switch node := root.(type) {
	case map[string]any:
		if len(at) == 1 && del {
			delete(node, at[0])
			return node
		}
		node[at[0]] = setAt(node[at[0]], at[1:], v, del)
		return node
	case []any:
		i, err := strconv.Atoi(at[0])
		if err != nil || i < 0 {
			return node
		}
		if len(at) == 1 && del {
			if i < len(node) {
				node = append(node[:i], node[i+1:]...)
			}
			return node
		}
		for len(node) <= i {
			node = append(node, nil)
		}
		node[i] = setAt(node[i], at[1:], v, del)
		return node
	}
	if del {
		return root
	}
	if _, err := strconv.Atoi(at[0]); err == nil {
		return setAt([]any{}, at, v, del)
	}
	return setAt(map[string]any{}, at, v, del)
}

// applyPath makes the query and path parameter edits of k to target (a path with its query).
func (k call) applyPath(target string, value func(any) any) string {
	if len(k.query) == 0 && len(k.param) == 0 {
		return target
	}
	path, query, _ := strings.Cut(target, "?")
	if len(k.param) > 0 {
		path = fillTemplate(k.tmpl, path, k.param, value)
	}
	if len(k.query) == 0 {
		return strings.TrimSuffix(path+"?"+query, "?")
	}
	q, _ := url.ParseQuery(query)
	for _, e := range k.query {
		if e.del {
			q.Del(e.name)
		} else {
			q.Set(e.name, fmt.Sprint(value(e.value)))
		}
	}
	if enc := q.Encode(); enc != "" {
		return path + "?" + enc
	}
	return path
}

// fillTemplate returns path, a path of the template tmpl, with the parameters es names set to
// their values, escaped as a path segment.
func fillTemplate(tmpl, path string, es []edit, value func(any) any) string {
	segs, names := strings.Split(path, "/"), strings.Split(tmpl, "/")
	if len(segs) != len(names) {
		return path
	}
	for _, e := range es {
		for i, n := range names {
			if n == "{"+e.name+"}" {
				segs[i] = url.PathEscape(fmt.Sprint(value(e.value)))
			}
		}
	}
	return strings.Join(segs, "/")
}
