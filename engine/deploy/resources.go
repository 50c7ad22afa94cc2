package deploy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// resources is one container's requests: CPU in millicores, memory in MiB.
type resources struct {
	MilliCPU int64
	MemoryMi int64
}

// The sizing rule for a worker that opens at most C connections and
// issues at most R operations per second (its share of an open or ramp
// phase's rate) in any node, unless -worker-cpu/-worker-memory say
// otherwise:
//
//	CPU    = 250m + 1m × C + 0.5m × R, rounded up to 50m
//	memory = 128Mi + 1Mi × C, rounded up to 64Mi
//
// A worker is a Go process whose sessions mostly wait on the database;
// the base covers the runtime, histograms and the query-execution stream.
// Latency-bound closed phases cost CPU per connection, open phases per
// operation.
const (
	workerBaseMilliCPU   = 250
	workerMilliCPUConn   = 1
	workerMilliCPUPerOp2 = 1 // per 2 ops/s
	workerBaseMemoryMi   = 128
	workerMemoryMiConn   = 1
)

// orchestratorResources are the orchestrator's requests: it polls the
// control plane and merges histograms.
var orchestratorResources = resources{MilliCPU: 250, MemoryMi: 256}

func workerResources(conns int64, rate float64, o Options) (resources, error) {
	r := resources{
		MilliCPU: roundUp(workerBaseMilliCPU+workerMilliCPUConn*conns+workerMilliCPUPerOp2*int64(math.Ceil(rate/2)), 50),
		MemoryMi: roundUp(workerBaseMemoryMi+workerMemoryMiConn*conns, 64),
	}
	if o.WorkerCPU != "" {
		m, err := parseCPU(o.WorkerCPU)
		if err != nil {
			return r, err
		}
		r.MilliCPU = m
	}
	if o.WorkerMemory != "" {
		m, err := parseMemory(o.WorkerMemory)
		if err != nil {
			return r, err
		}
		r.MemoryMi = m
	}
	return r, nil
}

func roundUp(n, step int64) int64 { return (n + step - 1) / step * step }

// parseCPU reads "500m", "1", "1.5" as millicores.
func parseCPU(s string) (int64, error) {
	if m, ok := strings.CutSuffix(s, "m"); ok {
		n, err := strconv.ParseInt(m, 10, 64)
		if err == nil && n > 0 {
			return n, nil
		}
	} else if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && !math.IsInf(f, 0) {
		return int64(math.Ceil(f * 1000)), nil
	}
	return 0, fmt.Errorf("-worker-cpu %q is not a CPU amount such as 500m or 1.5", s)
}

// parseMemory reads "512Mi", "2Gi", "1G", "300M" as MiB (rounded up).
func parseMemory(s string) (int64, error) {
	units := []struct {
		suffix string
		bytes  float64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			if f, err := strconv.ParseFloat(n, 64); err == nil && f > 0 && !math.IsInf(f, 0) {
				return int64(math.Ceil(f * u.bytes / (1 << 20))), nil
			}
			break
		}
	}
	return 0, fmt.Errorf("-worker-memory %q is not a memory amount such as 512Mi or 2Gi", s)
}

// kubeCPU and kubeMemory format quantities the Kubernetes way.
func kubeCPU(m int64) string     { return strconv.FormatInt(m, 10) + "m" }
func kubeMemory(mi int64) string { return strconv.FormatInt(mi, 10) + "Mi" }

// decimalCPU formats millicores as vCPUs ("0.75", "2"), as SPCS
// specifications write them.
func decimalCPU(m int64) string {
	return strconv.FormatFloat(float64(m)/1000, 'f', -1, 64)
}

// instanceFamily is a compute pool machine type (CREATE COMPUTE POOL; SHOW
// COMPUTE POOL INSTANCE FAMILIES lists the account's).
type instanceFamily struct {
	Name     string
	VCPU     int64
	MemoryGi int64
}

// instanceFamilies are the CPU families a worker fits on, smallest first.
var instanceFamilies = []instanceFamily{
	{"CPU_X64_XS", 1, 6},
	{"CPU_X64_S", 3, 13},
	{"CPU_X64_M", 6, 28},
}

// maxPoolNodes is the node limit of one compute pool.
const maxPoolNodes = 150

// poolHeadroom is the share of a node the sizing fills, leaving the rest
// to Snowflake's own processes and to bursts.
const poolHeadroom = 0.9

// poolSize is a compute pool sizing.
type poolSize struct {
	Family         instanceFamily
	WorkersPerNode int64
	Nodes          int64
}

// sizePool picks the family that needs the fewest vCPUs in total (ties:
// the fewer nodes) to hold the workers and the orchestrator, each of them
// counted as one worker-sized slot.
func sizePool(workers int64, w resources, family string) (poolSize, error) {
	var best *poolSize
	for _, f := range instanceFamilies {
		if family != "" && !strings.EqualFold(family, f.Name) {
			continue
		}
		perNode := min(
			int64(float64(f.VCPU*1000)*poolHeadroom)/w.MilliCPU,
			int64(float64(f.MemoryGi*1024)*poolHeadroom)/w.MemoryMi,
		)
		if perNode < 1 {
			continue
		}
		p := poolSize{Family: f, WorkersPerNode: perNode, Nodes: (workers + 1 + perNode - 1) / perNode}
		if p.Nodes > maxPoolNodes {
			continue
		}
		if best == nil || p.Nodes*f.VCPU < best.Nodes*best.Family.VCPU ||
			(p.Nodes*f.VCPU == best.Nodes*best.Family.VCPU && p.Nodes < best.Nodes) {
			best = &p
		}
	}
	if best == nil {
		if family != "" {
			return poolSize{}, fmt.Errorf("%d workers of %s vCPU and %dMi do not fit a compute pool of %s (at most %d nodes; the families known are %s)",
				workers, decimalCPU(w.MilliCPU), w.MemoryMi, family, maxPoolNodes, familyNames())
		}
		return poolSize{}, fmt.Errorf("%d workers of %s vCPU and %dMi do not fit one compute pool of at most %d nodes of %s; lower -worker-cpu/-worker-memory or split the run",
			workers, decimalCPU(w.MilliCPU), w.MemoryMi, maxPoolNodes, familyNames())
	}
	return *best, nil
}

func familyNames() string {
	names := make([]string, len(instanceFamilies))
	for i, f := range instanceFamilies {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}
