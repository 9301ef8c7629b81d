package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/workflows/recipe"
)

// Message is what a line-of-business system posts to a hook; it arrives as
// the message signal.
type Message struct {
	Name        string         `json:"name"`
	Correlation string         `json:"correlation"`
	Data        map[string]any `json:"data,omitempty"`
}

// Waiting is a wait step's open question, shown to staff.
type Waiting struct {
	Step        string     `json:"step"`
	Message     string     `json:"message,omitempty"`
	Correlation string     `json:"correlation,omitempty"`
	Until       *time.Time `json:"until,omitempty"`
}

// wait waits for a duration, a date or a message, whichever comes first.
func (c *caseRun) wait(ctx workflow.Context, s recipe.Step) (string, error) {
	w := s.Wait
	d, err := c.waitDuration(ctx, w)
	if err != nil {
		return "", err
	}
	entry := Waiting{Step: s.ID, Message: w.Message}
	if w.Message != "" {
		entry.Correlation = c.in.Reference
		if w.Correlation != "" {
			if entry.Correlation, err = recipe.Render(w.Correlation, c.env()); err != nil {
				return "", fmt.Errorf("correlation: %w", err)
			}
			if err := c.listenOn(ctx, entry.Correlation); err != nil {
				return "", err
			}
		}
	}
	if d >= 0 {
		until := workflow.Now(ctx).Add(d)
		entry.Until = &until
	}
	c.waiting = append(c.waiting, entry)
	defer func() {
		c.waiting = slices.DeleteFunc(c.waiting, func(x Waiting) bool { return x.Step == s.ID })
	}()

	msg, got, err := c.awaitMessage(ctx, entry, d)
	if err != nil {
		return "", err
	}
	if w.Correlation != "" && workflow.GetVersion(ctx, forgetKeysChange, workflow.DefaultVersion, 1) == 1 {
		if err := c.stopListening(ctx, s.ID); err != nil {
			return "", err
		}
	}
	if got {
		c.steps[s.ID] = map[string]any{"timed_out": false, "message": msg.Data}
		c.record(ctx, s.ID, "wait", titleOr(s, "Heard "+w.Message))
		if w.OnMessage != "" {
			return w.OnMessage, nil
		}
		return s.Next, nil
	}
	c.steps[s.ID] = map[string]any{"timed_out": true}
	c.record(ctx, s.ID, "wait", titleOr(s, "Waited"))
	return s.Next, nil
}

// waitDuration is how long the timer runs, or -1 for no timer.
func (c *caseRun) waitDuration(ctx workflow.Context, w *recipe.WaitStep) (time.Duration, error) {
	d := time.Duration(-1)
	if w.For > 0 {
		d = w.For
	}
	if w.Until != "" {
		v, err := recipe.Eval(w.Until, c.env())
		if err != nil {
			return 0, fmt.Errorf("until: %w", err)
		}
		at, err := asTime(v)
		if err != nil {
			return 0, fmt.Errorf("until: %w", err)
		}
		left := max(at.Sub(workflow.Now(ctx)), 0)
		if d < 0 || left < d {
			d = left
		}
	}
	return d, nil
}

func asTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t, nil
	case string:
		for _, layout := range []string{time.RFC3339, time.DateOnly} {
			if at, err := time.Parse(layout, t); err == nil {
				return at, nil
			}
		}
		return time.Time{}, fmt.Errorf("%q is not a date like 2026-12-01 or 2026-12-01T09:00:00Z", t)
	}
	return time.Time{}, fmt.Errorf("%v is not a date", v)
}

// awaitMessage waits for the named message with the entry's key, or the
// timer. Messages for other waits stay queued for them.
func (c *caseRun) awaitMessage(ctx workflow.Context, entry Waiting, d time.Duration) (Message, bool, error) {
	take := func() (Message, bool) {
		for i, m := range c.messages {
			if entry.Message != "" && m.Name == entry.Message && m.Correlation == entry.Correlation {
				c.messages = slices.Delete(c.messages, i, i+1)
				return m, true
			}
		}
		return Message{}, false
	}
	tctx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	fired := false
	if d >= 0 {
		workflow.Go(tctx, func(gctx workflow.Context) {
			fired = workflow.NewTimer(gctx, d).Get(gctx, nil) == nil
		})
	}
	var msg Message
	var got bool
	err := workflow.Await(ctx, func() bool {
		msg, got = take()
		return got || fired
	})
	return msg, got, err
}

// listenOn adds a correlation key to the case's search attribute.
func (c *caseRun) listenOn(ctx workflow.Context, key string) error {
	keys := c.listeningOn()
	if slices.Contains(keys, key) {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx, CorrelationKeys.ValueSet(append(keys, key)))
}

// stopListening takes a finished wait's key off the search attribute,
// keeping the keys other waits (in parallel branches) still listen on.
func (c *caseRun) stopListening(ctx workflow.Context, step string) error {
	c.waiting = slices.DeleteFunc(c.waiting, func(x Waiting) bool { return x.Step == step })
	keys := c.listeningOn()
	if len(keys) == 0 {
		return workflow.UpsertTypedSearchAttributes(ctx, CorrelationKeys.ValueUnset())
	}
	return workflow.UpsertTypedSearchAttributes(ctx, CorrelationKeys.ValueSet(keys))
}

// listeningOn lists the business keys the case's open waits listen on.
func (c *caseRun) listeningOn() []string {
	keys := []string{}
	for _, w := range c.waiting {
		if w.Correlation != "" && w.Correlation != c.in.Reference && !slices.Contains(keys, w.Correlation) {
			keys = append(keys, w.Correlation)
		}
	}
	return keys
}

// MaxQueuedMessages is the most messages a case keeps that no wait has
// taken yet; with one more, the oldest is dropped. A system posting the
// same hook over and over cannot make a case's state grow without end.
const MaxQueuedMessages = 20

// receiveMessages queues every message signal as it arrives, keeping the
// newest MaxQueuedMessages. The first time a case holds more it asks
// whether it runs on an interpreter that drops them (boundedMessagesChange):
// a case that held more before the change keeps them all, as it did.
func (c *caseRun) receiveMessages(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, MessageSignal)
	bounded := -1 // not asked yet
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var m Message
			if !ch.Receive(gctx, &m) {
				return
			}
			c.messages = append(c.messages, m)
			over := len(c.messages) - MaxQueuedMessages
			if over > 0 && bounded < 0 {
				bounded = int(workflow.GetVersion(gctx, boundedMessagesChange, workflow.DefaultVersion, 1))
			}
			if over > 0 && bounded == 1 {
				c.messages = slices.Delete(c.messages, 0, over)
			}
		}
	})
}
