package events

import "context"

// Delivery describes the delivery a handler is running for.
type Delivery struct {
	// Consumer is the durable consumer's name.
	Consumer string
	// StreamSeq is the message's stream sequence.
	StreamSeq uint64
	// NumDelivered counts deliveries of this message, this one included
	// (1 on the first).
	NumDelivered int
	// MaxDeliver is the consumer's delivery limit; when NumDelivered
	// equals it, a failure dead-letters the message.
	MaxDeliver int
}

// Last reports whether this is the last allowed delivery.
func (d Delivery) Last() bool { return d.NumDelivered >= d.MaxDeliver }

type deliveryKey struct{}

// DeliveryOf returns the delivery a handler's ctx belongs to.
func DeliveryOf(ctx context.Context) (Delivery, bool) {
	d, ok := ctx.Value(deliveryKey{}).(Delivery)
	return d, ok
}

// WithDelivery returns ctx carrying d, as Consume gives it to handlers;
// tests of handlers use it to play a given delivery.
func WithDelivery(ctx context.Context, d Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}
