package policy_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/retryscope/retryscope/policy"
)

// allCauses and allRules are every Cause and Rule constant the package
// declares; TestCauseAndRuleConstantsListed keeps the lists complete.
var (
	allCauses = map[string]policy.Cause{
		"CauseOK": policy.CauseOK, "CauseNoResponse": policy.CauseNoResponse,
		"CauseInProgress": policy.CauseInProgress, "CauseRequestTimeout": policy.CauseRequestTimeout,
		"CauseUnavailable": policy.CauseUnavailable, "CauseGatewayTimeout": policy.CauseGatewayTimeout,
		"CauseServerError": policy.CauseServerError, "CauseClientError": policy.CauseClientError,
		"CauseIntegrationTimeout": policy.CauseIntegrationTimeout, "CauseFunctionError": policy.CauseFunctionError,
		"CauseQuotaExceeded": policy.CauseQuotaExceeded, "CauseMissingAuthToken": policy.CauseMissingAuthToken,
		"CauseGatewayRefused": policy.CauseGatewayRefused, "CauseAuthorizerError": policy.CauseAuthorizerError, "CauseEdgeError": policy.CauseEdgeError,
		"CauseEdgeTimeout": policy.CauseEdgeTimeout, "CauseThrottled": policy.CauseThrottled,
		"CauseGatewayError": policy.CauseGatewayError, "CauseCanceled": policy.CauseCanceled,
		"CauseDNS": policy.CauseDNS, "CauseTLSCertificate": policy.CauseTLSCertificate,
		"CauseTLSHandshake": policy.CauseTLSHandshake, "CauseConnectionRefused": policy.CauseConnectionRefused,
		"CauseConnect": policy.CauseConnect, "CauseAttemptTimeout": policy.CauseAttemptTimeout,
		"CauseConnectionReset": policy.CauseConnectionReset, "CauseEOF": policy.CauseEOF,
		"CauseTimeout": policy.CauseTimeout, "CauseTransportError": policy.CauseTransportError,
		"CauseRequestBody": policy.CauseRequestBody, "CauseInvalidRequest": policy.CauseInvalidRequest, "CauseSlowCall": policy.CauseSlowCall,
	}
	allRules = map[string]policy.Rule{
		"RuleNotRetryable": policy.RuleNotRetryable, "RuleUnsafe": policy.RuleUnsafe,
		"RuleMaxAttempts": policy.RuleMaxAttempts, "RuleNotReplayable": policy.RuleNotReplayable,
		"RuleRetryAfterTooLong": policy.RuleRetryAfterTooLong, "RuleMaxElapsed": policy.RuleMaxElapsed,
		"RuleDeadline": policy.RuleDeadline, "RuleRetry": policy.RuleRetry,
		"RuleBudget": policy.RuleBudget, "RuleCircuitOpen": policy.RuleCircuitOpen,
		"RuleCanceled": policy.RuleCanceled, "RuleRequestBody": policy.RuleRequestBody,
		"RuleHedgeLost": policy.RuleHedgeLost, "RuleHedgePending": policy.RuleHedgePending,
	}
)

// Every constant is a non-empty lower_snake token, distinct from the other
// constants of its type (a cause and a rule may share a token, as
// "canceled" does), and its String is its value.
func TestCauseAndRuleConstants(t *testing.T) {
	token := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	check := func(kind string, values map[string]string) {
		seen := map[string]string{}
		for name, v := range values {
			if !token.MatchString(v) {
				t.Errorf("%s %s = %q: want a non-empty lower_snake token", kind, name, v)
			}
			if other, dup := seen[v]; dup {
				t.Errorf("%s %s and %s are both %q", kind, name, other, v)
			}
			seen[v] = name
		}
	}
	causes, rules := map[string]string{}, map[string]string{}
	for name, c := range allCauses {
		causes[name] = string(c)
		if c.String() != string(c) {
			t.Errorf("%s.String() = %q", name, c.String())
		}
	}
	for name, r := range allRules {
		rules[name] = string(r)
		if r.String() != string(r) {
			t.Errorf("%s.String() = %q", name, r.String())
		}
	}
	check("Cause", causes)
	check("Rule", rules)
}

// The lists above hold every Cause and Rule constant the package declares,
// and each declaration has a doc comment.
func TestCauseAndRuleConstantsListed(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string][]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok || (id.Name != "Cause" && id.Name != "Rule") {
					continue
				}
				for _, n := range vs.Names {
					declared[id.Name] = append(declared[id.Name], n.Name)
					if vs.Doc == nil && (len(gd.Specs) > 1 || gd.Doc == nil) {
						t.Errorf("%s: %s has no doc comment", fset.Position(n.Pos()), n.Name)
					}
				}
			}
		}
	}
	for kind, listed := range map[string][]string{"Cause": keys(allCauses), "Rule": keys(allRules)} {
		got := declared[kind]
		slices.Sort(got)
		if !slices.Equal(got, listed) {
			t.Errorf("%s constants declared %v, listed in this test %v", kind, got, listed)
		}
	}
}

func keys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// No code outside this package's tests compares a Cause or a Rule with a
// string literal or sets one from a literal: a misspelt token compiles (an
// untyped constant converts) and silently never matches, e.g. counting
// throttles against the breaker. Code names the constants instead; a cause
// of one's own is written policy.Cause("..."). The empty string (no cause,
// no decision) is allowed.
func TestNoCauseOrRuleLiterals(t *testing.T) {
	root := ".."
	fset := token.NewFileSet()
	scanned := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "vendor" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if filepath.Dir(rel) == "policy" && strings.HasSuffix(rel, "_test.go") {
			return nil // the package's own tests pin the tokens' spelling
		}
		af, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		scanned++
		for _, pos := range causeRuleLiterals(af) {
			p := fset.Position(pos)
			t.Errorf("%s:%d: a Cause or Rule is compared with or set from a string literal; use the policy constant", filepath.ToSlash(rel), p.Line)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 50 {
		t.Fatalf("scanned %d Go files under %s; want the whole module", scanned, root)
	}
}

// causeRuleLiterals returns where f compares a field named Cause or Rule
// with a non-empty string literal (==, !=, a switch case) or sets one from
// it in a composite literal or an assignment.
func causeRuleLiterals(f *ast.File) []token.Pos {
	isField := func(e ast.Expr) bool {
		s, ok := e.(*ast.SelectorExpr)
		return ok && (s.Sel.Name == "Cause" || s.Sel.Name == "Rule")
	}
	isLit := func(e ast.Expr) bool {
		b, ok := e.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return false
		}
		v, err := strconv.Unquote(b.Value)
		return err != nil || v != ""
	}
	var found []token.Pos
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if (n.Op == token.EQL || n.Op == token.NEQ) &&
				(isField(n.X) && isLit(n.Y) || isField(n.Y) && isLit(n.X)) {
				found = append(found, n.Pos())
			}
		case *ast.KeyValueExpr:
			if k, ok := n.Key.(*ast.Ident); ok && (k.Name == "Cause" || k.Name == "Rule") && isLit(n.Value) {
				found = append(found, n.Pos())
			}
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if i < len(n.Rhs) && isField(l) && isLit(n.Rhs[i]) {
					found = append(found, n.Pos())
				}
			}
		case *ast.SwitchStmt:
			if n.Tag == nil || !isField(n.Tag) {
				return true
			}
			for _, s := range n.Body.List {
				for _, e := range s.(*ast.CaseClause).List {
					if isLit(e) {
						found = append(found, e.Pos())
					}
				}
			}
		}
		return true
	})
	return found
}
