// Package sizecheck holds only tests: they pin what importing the
// transport costs a program (the packages it compiles and the size of a
// program built with it), so that a dependency added to the transport
// shows up as a failing test.
package sizecheck
