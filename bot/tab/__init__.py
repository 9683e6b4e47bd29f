"""The Den tab: a personal and a channel tab served by the app itself (see README, The Den tab)."""
