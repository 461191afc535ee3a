// Package cputime reads the CPU time the process has used, for benchmarks
// that run on machines shared with other work: there, wall time per
// operation mostly measures the wait for a core, CPU time the work.
package cputime
