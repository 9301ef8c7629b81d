// Package layout holds the test that keeps Larder's imports running
// downhill: web → case client → interpreter → activities → connectors,
// with the recipe model importing none of them.
package layout
