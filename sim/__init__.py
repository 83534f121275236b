"""ccsim: discrete-event simulation of contact centers."""
