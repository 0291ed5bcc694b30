package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// checkKnownFields reports the first mapping key in node that the Go type of
// v has no yaml field for: a misspelt key would otherwise be silently ignored.
func checkKnownFields(node *yaml.Node, v any) error {
	return walkKnown(node, reflect.TypeOf(v))
}

func walkKnown(node *yaml.Node, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind == yaml.AliasNode {
		node = node.Alias
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return nil
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f.Type
			names = append(names, tag)
		}
		if len(fields) == 0 { // a type with its own decoding, like Duration
			return nil
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k := node.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("line %d: unknown key %q (known: %s)", k.Line, k.Value, strings.Join(names, ", "))
			}
			if err := walkKnown(node.Content[i+1], ft); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			return nil
		}
		for _, item := range node.Content {
			if err := walkKnown(item, t.Elem()); err != nil {
				return err
			}
		}
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			return nil
		}
		for i := 1; i < len(node.Content); i += 2 {
			if err := walkKnown(node.Content[i], t.Elem()); err != nil {
				return err
			}
		}
	}
	return nil
}
