package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed default.yaml
var defaultYAML []byte

//go:embed default_topics.yaml
var defaultTopicsYAML []byte

// Problems is every problem found in a configuration, one line each.
type Problems []string

func (p Problems) Error() string { return strings.Join(p, "\n") }

// sections are the top-level keys of a network file.
var sections = []string{"network", "agencies", "topics", "staff", "followups", "templates", "limits"}

// Default returns the built-in network with no staff.
func Default() *Config {
	c, err := parse("built-in", defaultYAML, nil)
	if err != nil {
		panic("config: built-in default is invalid: " + err.Error())
	}
	return c
}

// Load reads the network file at path over the built-in default (path ""
// keeps the default) and the environment from getenv, and validates both.
// A returned error is a Problems with one "file:line: what is wrong" line each.
func Load(path string, getenv func(string) string) (*Config, error) {
	var c *Config
	var probs Problems
	if path == "" {
		c = Default()
	} else {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, Problems{fmt.Sprintf("%s: %v", path, errors.Unwrap(err))}
		}
		c, err = parse(path, data, Default())
		if err != nil {
			var p Problems
			if errors.As(err, &p) {
				probs = append(probs, p...)
			} else {
				probs = append(probs, err.Error())
			}
		}
	}
	if c == nil {
		return nil, probs
	}
	var envProbs Problems
	c.Env, envProbs = loadEnv(getenv)
	probs = append(probs, envProbs...)
	if len(probs) > 0 {
		return nil, probs
	}
	return c, nil
}

// parse reads one YAML document over base (nil: over nothing), section by
// section, and validates the result.
func parse(name string, data []byte, base *Config) (*Config, error) {
	c := &Config{Source: name}
	if base != nil {
		*c = *base
		c.Source = name
	} else {
		// The built-in default is two embedded files; topics come from the second.
		var topics struct {
			Topics []Topic `yaml:"topics"`
		}
		if err := yaml.Unmarshal(defaultTopicsYAML, &topics); err != nil {
			return nil, fmt.Errorf("default_topics.yaml: %w", err)
		}
		c.Topics = topics.Topics
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return nil, Problems{name + ":1: the file is empty"}
		}
		return nil, Problems{fmt.Sprintf("%s: %s", name, yamlMessage(err))}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, Problems{fmt.Sprintf("%s:%d: the file must be a mapping of sections (%s)", name, root.Line, strings.Join(sections, ", "))}
	}
	var probs Problems
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		var target any
		switch key.Value {
		case "network":
			// Struct sections are decoded over the default: keys the file
			// leaves out keep their default values (a 0 written is kept).
			target = &c.Network
		case "agencies":
			c.Agencies = nil
			target = &c.Agencies
		case "topics":
			c.Topics = nil
			target = &c.Topics
		case "staff":
			c.Staff = nil
			target = &c.Staff
		case "followups":
			target = &c.Followups
		case "templates":
			// Templates are replaced one template at a time, so a file that
			// rewords the ack keeps every other default text.
			merged := map[string]map[string]string{}
			for k, v := range c.Templates {
				merged[k] = v
			}
			var set map[string]map[string]string
			if err := decodeStrict(val, &set); err != nil {
				probs = append(probs, fmt.Sprintf("%s: %s", name, yamlMessage(err)))
			}
			for k, v := range set {
				merged[k] = v
			}
			c.Templates = merged
			continue
		case "limits":
			target = &c.Limits
		default:
			probs = append(probs, fmt.Sprintf("%s:%d: unknown section %q (known: %s)", name, key.Line, key.Value, strings.Join(sections, ", ")))
			continue
		}
		if err := decodeStrict(val, target); err != nil {
			probs = append(probs, fmt.Sprintf("%s: %s", name, yamlMessage(err)))
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	probs = append(probs, c.validate(name, root)...)
	if len(probs) > 0 {
		return nil, probs
	}
	return c, nil
}

// decodeStrict decodes node into v, refusing keys v has no field for.
func decodeStrict(node *yaml.Node, v any) error {
	if err := node.Decode(v); err != nil {
		return err
	}
	return checkKnownFields(node, v)
}

// yamlMessage turns yaml.v3's "yaml: line 3: ..." into "3: ...".
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(trimYAML(te.Errors), "; ")
	}
	return strings.Join(trimYAML([]string{err.Error()}), "")
}

func trimYAML(msgs []string) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		if rest, ok := strings.CutPrefix(m, "line "); ok {
			if n, msg, ok := strings.Cut(rest, ": "); ok {
				m = n + ": " + msg
			}
		}
		out[i] = m
	}
	return out
}
