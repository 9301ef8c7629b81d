package workflows

import "time"

// Changes lists the change ids behind workflow.GetVersion, for the replay
// test to find a recorded history of each one's old branch.
var Changes = changes

// MaskAddresses is how the timeline shows whom an email went to.
var MaskAddresses = maskAddresses

// ResidentTimeline is the timeline as the case query gives it to residents.
var ResidentTimeline = residentTimeline

// The test environment times a local activity's schedule-to-close window
// from its own clock, which tests set in the past (2026), but ends it by
// the wall clock: a week's window would be over before it began.
func init() { localWindow = 100 * 365 * 24 * time.Hour }
