"""appraisals."""
