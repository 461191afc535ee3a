package redisfleet_test

import (
	"net/http"

	"github.com/retryscope/retryscope/redisfleet"
	"github.com/retryscope/retryscope/transport"
)

// Every process of the fleet does this, with the same Redis and prefix:
// when one of them finds a host down, all of them stop sending to it.
func ExampleNew() {
	rc := redisfleet.NewClient("127.0.0.1:6390") // scripts/redis.sh start
	defer rc.Close()
	fleet := redisfleet.New(rc, redisfleet.WithKeyPrefix("orders-service:"))
	defer fleet.Close() // before rc.Close: deferred calls run last-in first-out

	client := &http.Client{Transport: transport.New(nil, transport.WithFleet(fleet))}
	_ = client // client.Get("https://abc123.execute-api.eu-west-1.amazonaws.com/prod/orders")
}
