package engine

// Hook is how the engine reports progress without printing: the CLI's views
// (terminal progress, JSON events) implement it. Methods are called from
// the goroutine doing the work and must return quickly; a slow consumer
// buffers on its side. Embed NopHook to implement only some methods.
type Hook interface {
	// NodeStarted is called when a run DAG node (see Node.Name) of the run
	// with id run starts.
	NodeStarted(run, node string)
	// NodeFinished is called when a node ends; err is nil on success.
	NodeFinished(run, node string, err error)
	// NodeSkipped is called for a node that will not run because a node it
	// depends on failed or the run was cancelled.
	NodeSkipped(run, node, reason string)
}

// NopHook implements Hook by doing nothing.
type NopHook struct{}

var _ Hook = NopHook{}

func (NopHook) NodeStarted(string, string)         {}
func (NopHook) NodeFinished(string, string, error) {}
func (NopHook) NodeSkipped(string, string, string) {}
