//go:build !unix

package apigwtest

import "os/exec"

func ownProcessGroup(*exec.Cmd) {}

// killProcessTree kills cmd's process (its children survive here).
func killProcessTree(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
