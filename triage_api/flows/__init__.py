"""Side effects of ticket changes, fed by the event stream: the shopper relay, the push hub, the
durable handoff inbox."""
