"""Reading JMH's JSON result files, shared by the results-*-table.py scripts."""
import glob
import json
import os


def result_files(directory):
    """Yields (path, runs) for each *.json file in directory, by name; a file that is not complete
    JSON (a run cut short) is skipped."""
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        with open(path) as f:
            try:
                runs = json.load(f)
            except json.JSONDecodeError:
                continue
        yield path, runs
