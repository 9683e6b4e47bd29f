"""The domain core: ideas, approval chains, decisions. Knows nothing of Teams or Graph."""
