package workflows

// Changes lists the change ids behind workflow.GetVersion, for the replay
// test to find a recorded history of each one's old branch.
var Changes = changes

// MaskAddresses is how the timeline shows whom an email went to.
var MaskAddresses = maskAddresses

// ResidentTimeline is the timeline as the case query gives it to residents.
var ResidentTimeline = residentTimeline
