package api

// Plan is a dry run's answer for a command whose APIs have no DryRun flag:
// the calls it would make, in order, with nothing changed.
type Plan struct {
	WouldCall []Step `json:"wouldCall"`
	Note      string `json:"note,omitempty"`
}

// Step is one call a plan would make.
type Step struct {
	Call  string `json:"call"` // Service.Operation
	Input any    `json:"input,omitempty"`
}

// Add appends a step.
func (p *Plan) Add(call string, input any) {
	p.WouldCall = append(p.WouldCall, Step{Call: call, Input: input})
}
