// Command program is the smallest program that uses the transport:
// sizecheck's tests build it to see what importing the transport costs.
package main

import (
	"net/http"
	"os"

	"github.com/retryscope/retryscope/transport"
)

func main() {
	client := &http.Client{Transport: transport.New(nil)}
	resp, err := client.Get(os.Args[1])
	if err != nil {
		os.Exit(1)
	}
	resp.Body.Close()
}
