; (in progress)
