"""The Den tab: a personal and a channel tab served by the app itself (see docs/features.md, The Den tab)."""
