"""Writing meetings, in three parts: scheduling, the agenda, and the sitting.

`base` holds what they share: who may change a meeting and the guard that keeps a closed
meeting's record final.
"""
