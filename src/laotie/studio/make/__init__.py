"""``studio make``: topic (or script, or brief) to finished, labelled videos in one job."""
