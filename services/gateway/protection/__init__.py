"""Protection fit for the internet: rate limits, circuit breakers, header and body limits."""
