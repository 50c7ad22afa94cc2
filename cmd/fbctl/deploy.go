package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/deploy"
	"github.com/urfave/cli/v2"
)

func deployCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "deploy",
		Usage: "run the workers on Kubernetes or in Snowpark Container Services",
		Subcommands: []*cli.Command{{
			Name:  "render",
			Usage: "render a planned run as Kubernetes Jobs or SPCS job services",
			Description: "Builds the plan from the files as `fbctl plan` does (without reading CONFIG: a\n" +
				"deployment does not depend on it) and renders the run of the one selected scenario.\n" +
				"Secrets are referenced, never rendered. See docs/scale-out.md.",
			Subcommands: []*cli.Command{
				deployRenderCommand(g, deploy.Kubernetes, "an Indexed Job for the workers, a Job for the orchestrator, a ConfigMap with the files", kubernetesFlags()),
				deployRenderCommand(g, deploy.SPCS, "service specifications and the EXECUTE JOB SERVICE statements, with the compute pool", spcsFlags()),
			},
		}},
	}
}

func deployRenderCommand(g *globals, target, usage string, own []cli.Flag) *cli.Command {
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "run-id", Usage: "the run's `ID` (default: a new one, printed)"},
		&cli.StringFlag{Name: "image", Usage: "the fbctl image `REF` (default: " + defaultDeployImage(target) + ")"},
		&cli.StringSliceFlag{Name: "scenario", Usage: "render scenario `NAME` (needed when the files declare several)"},
		&cli.StringFlag{Name: "o", Aliases: []string{"out"}, Usage: "write one file per object to `DIR` instead of printing them"},
	}, deployFlags()...)
	flags = append(append(flags, own...), varFlags()...)
	return &cli.Command{
		Name:      target,
		Usage:     usage,
		ArgsUsage: "[PATH...]",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			a := parseDeployRenderArgs(c)
			cfg, err := g.load(a.Vars, false, a.Paths)
			if err != nil {
				return err
			}
			plan, err := g.buildPlan(storeArgs{}, cfg, engine.State{}, engine.PlanOptions{Scenarios: a.Scenarios})
			if err != nil {
				return err
			}
			if len(plan.Runs) != 1 {
				names := make([]string, len(plan.Runs))
				for i, r := range plan.Runs {
					names[i] = r.Scenario
				}
				return fmt.Errorf("the files declare %d scenarios (%s); a deployment runs one: choose it with -scenario NAME", len(plan.Runs), strings.Join(names, ", "))
			}
			rp := plan.Runs[0]
			o := deployOptions(a, target, rp)
			dir := a.Out
			if dir != "" && target == deploy.SPCS {
				abs, err := filepath.Abs(dir)
				if err != nil {
					return err
				}
				o.FilesDir = abs
			}
			r, err := g.renderDeployment(target, rp, cfg, o)
			if err != nil {
				return err
			}
			if a.RunID == "" {
				fmt.Fprintf(g.stderr, "Run id %s (generated; choose one with -run-id).\n", r.RunID)
			}
			if dir == "" {
				_, err := g.stdout.Write(r.Stream)
				return err
			}
			return writeDeployment(g, dir, r)
		},
	}
}

// deployFlags are the options both targets share.
func deployFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "secret", Value: deploy.DefaultSecret, Usage: "the Kubernetes Secret, or the prefix of the Snowflake secret objects, holding the environment the files read with env()"},
		&cli.DurationFlag{Name: "join-timeout", Value: deploy.DefaultJoinTimeout, Usage: "how long the orchestrator waits for the workers (image pulls, node start-up)"},
		&cli.StringFlag{Name: "worker-cpu", Usage: "CPU request of a worker, e.g. 500m or 1.5 (default: from its connections)"},
		&cli.StringFlag{Name: "worker-memory", Usage: "memory request of a worker, e.g. 512Mi (default: from its connections)"},
	}
}

func kubernetesFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "namespace", Usage: "put the objects in `NAMESPACE` (default: kubectl's current one)"},
		&cli.DurationFlag{Name: "ttl", Value: deploy.DefaultTTL, Usage: "delete the finished Jobs after this long (ttlSecondsAfterFinished)"},
	}
}

func spcsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "compute-pool", Value: deploy.DefaultComputePool, Usage: "the compute pool `NAME`"},
		&cli.StringFlag{Name: "stage", Value: deploy.DefaultStage, Usage: "the internal `STAGE` that holds the scenario files"},
		&cli.StringFlag{Name: "schema", Usage: "`DB.SCHEMA` of the stage, services and secret objects (default: the session's)"},
		&cli.StringFlag{Name: "query-warehouse", Usage: "QUERY_WAREHOUSE of the job services"},
		&cli.StringSliceFlag{Name: "eai", Usage: "an external access integration `NAME` for the job services (repeatable)"},
		&cli.StringFlag{Name: "instance-family", Usage: "compute pool `FAMILY` (default: the cheapest that fits, e.g. CPU_X64_XS)"},
	}
}

// deployOptions reads the flags; a flag a target does not have reads as
// its zero value.
func deployOptions(a deployRenderArgs, target string, rp engine.RunPlan) deploy.Options {
	o := deploy.Options{
		RunID:          a.RunID,
		Image:          a.Image,
		ToolVersion:    version,
		Secret:         a.Secret,
		JoinTimeout:    a.JoinTimeout,
		WorkerCPU:      a.WorkerCPU,
		WorkerMemory:   a.WorkerMemory,
		Namespace:      a.Namespace,
		TTL:            a.TTL,
		ComputePool:    a.ComputePool,
		Stage:          a.Stage,
		Schema:         a.Schema,
		QueryWarehouse: a.QueryWarehouse,
		ExternalAccess: a.ExternalAccess,
		InstanceFamily: a.InstanceFamily,
	}
	if o.RunID == "" {
		o.RunID = deploy.NewRunID(rp.Scenario, timeNow())
	}
	if o.Image == "" {
		o.Image = defaultDeployImage(target)
	}
	return o
}

// defaultDeployImage is the image a deployment names without -image.
func defaultDeployImage(target string) string {
	if target == deploy.SPCS {
		return "/fbctl/public/images/fbctl:" + imageTag(version)
	}
	return "fbctl:" + imageTag(version)
}

// renderDeployment renders one run, showing any diagnostics.
func (g *globals) renderDeployment(target string, rp engine.RunPlan, cfg *dsl.Config, o deploy.Options) (*deploy.Rendering, error) {
	r, diags := deploy.Render(target, rp, cfg, o)
	if len(diags) > 0 {
		_ = view.Diagnostics(g.stderr, cfg.Files, diags, g.color)
	}
	if diags.HasErrors() {
		return nil, silentExit(exitError)
	}
	return r, nil
}

// writeDeployment writes one file per object and prints the notes.
func writeDeployment(g *globals, dir string, r *deploy.Rendering) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, ob := range r.Objects {
		if err := os.WriteFile(filepath.Join(dir, ob.File), ob.Body, 0o644); err != nil {
			return err
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintln(g.stdout, n)
	}
	fmt.Fprintf(g.stdout, "Wrote %s to %s.\n", view.Plural(len(r.Objects), "file", "files"), dir)
	return nil
}

// planDeployFlags are plan's flags that show the rendered deployment.
func planDeployFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "deploy", Usage: "also show each run rendered for `TARGET` (" + strings.Join(deploy.Targets, " or ") + "), for review"},
		&cli.StringFlag{Name: "deploy-image", Usage: "the fbctl image `REF` of the rendered deployment"},
	}
}

// printPlanDeployments renders every run of the plan for -deploy, with
// default options and a new run id each.
func (g *globals) printPlanDeployments(a planArgs, cfg *dsl.Config, plan *engine.Plan) error {
	target := a.Deploy
	if target == "" {
		return nil
	}
	for _, rp := range plan.Runs {
		o := deployOptions(deployRenderArgs{Image: a.DeployImage}, target, rp)
		r, err := g.renderDeployment(target, rp, cfg, o)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "\nDeployment of scenario %q on %s (run id %s; render it with `fbctl deploy render %s -run-id %s PATH...`):\n\n",
			rp.Scenario, target, r.RunID, target, r.RunID)
		if _, err := g.stdout.Write(r.Stream); err != nil {
			return err
		}
	}
	return nil
}
