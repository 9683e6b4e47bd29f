"""The use cases (ideas, digest, nudges) and the workers that deliver and schedule them.

They talk only to the domain and the ports; nothing here imports Teams, Graph or cards.
"""
