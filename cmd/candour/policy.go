package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/candour-vault/candour/policy"
)

// runPolicy handles `candour policy check DIR`.
func runPolicy(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError{"policy: the only subcommand is 'check DIR'"}
	}
	fs := flag.NewFlagSet("policy check", flag.ContinueOnError)
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{fmt.Sprintf("policy check: %v", err)}
	}
	if fs.NArg() != 1 {
		return usageError{"policy check: give exactly one directory, e.g. candour policy check policy/rego"}
	}
	dir := fs.Arg(0)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	files, err := policy.ReadFiles(os.DirFS(dir))
	if err != nil {
		return fmt.Errorf("the policy in %s cannot be read: %v", dir, strings.TrimPrefix(err.Error(), "policy: "))
	}
	engine, err := policy.Compile(ctx, files)
	if err != nil {
		fmt.Fprintln(stdout, strings.TrimPrefix(err.Error(), "policy: compile: "))
		return fmt.Errorf("the policy in %s does not compile; OPA's errors are listed above", dir)
	}
	var problems []string
	for _, p := range policy.CheckData(files) {
		problems = append(problems, "data.json: "+p)
	}
	rep, err := policy.Test(ctx, files)
	if err != nil {
		return fmt.Errorf("the tests in %s cannot run: %v", dir, err)
	}
	for _, f := range rep.Failed {
		problems = append(problems, "test "+f)
	}
	if len(rep.Passed)+len(rep.Failed) == 0 {
		problems = append(problems, "there are no Rego tests (test_ rules in *_test.rego files)")
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stdout, "  %s\n", p)
		}
		return fmt.Errorf("the policy in %s has %d problem(s), listed above", dir, len(problems))
	}
	fmt.Fprintf(stdout, "The policy in %s is valid: revision %s, %d tests passed, %.1f%% of its lines covered.\n",
		dir, files.Revision, len(rep.Passed), rep.Coverage)
	// Not a problem: a caller the policy cannot be specialised to is decided
	// by the whole policy, with the same answer, more slowly.
	sp, err := engine.CheckSpecialised(ctx)
	if err != nil {
		fmt.Fprintf(stdout, "Specialised to each caller (docs/benchmarks.md, \"Policy\"): none.\n  note: %v\n", err)
		return nil
	}
	fmt.Fprintf(stdout, "Specialised to each caller (docs/benchmarks.md, \"Policy\"): %d of %d sample callers.\n", sp.Tried-len(sp.Whole), sp.Tried)
	for _, s := range sp.Whole {
		fmt.Fprintf(stdout, "  note: %s\n", s)
	}
	// Not a problem either: a caller whose decisions are not kept is
	// evaluated on every request, with the same answer.
	fmt.Fprintf(stdout, "Kept for each kind of request, not evaluated on each one (docs/policy.md): %d of them, %d of which change at a date the policy names.\n",
		sp.Kept, sp.Dated)
	return nil
}
