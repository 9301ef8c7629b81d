// Package cluster holds the test that runs Larder as an operator runs it
// against a Temporal cluster: Temporal's own server and schema tool, built
// from the module Larder requires, on a PostgreSQL database of the test's
// own, with two `larder worker` processes and one `larder web` beside it.
package cluster
