"""HTTP routes other than the Bot Framework's: health, timers' endpoints, the manifest's pages."""
