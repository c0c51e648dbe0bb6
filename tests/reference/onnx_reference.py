"""The ONNX checker and OpenCV's DNN module on exported models, for the export
tests (tests/deploy/onnx_export_test.cpp writes the inputs; see
onnx_runtime_reference.js for the job format, shared with ONNX Runtime).

Usage: /usr/bin/python3 onnx_reference.py JOBS.json RESULTS.json
Each result: {"checker": "ok" | error text, "opencv": {"shape", "values"} |
{"error": text}}. Debian's python3-onnx (1.12: opsets to 17) and
python3-opencv (4.6).
"""
import json
import sys

import cv2
import numpy as np
import onnx

DTYPES = {"float32": np.float32, "float16": np.float16, "uint8": np.uint8}


def check(path):
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        return "ok"
    except Exception as error:  # the checker's own exception types vary by version
        return f"{type(error).__name__}: {error}"


def run_opencv(job):
    try:
        net = cv2.dnn.readNetFromONNX(job["model"])
        data = np.fromfile(job["input"], dtype=DTYPES[job["dtype"]]).reshape(job["shape"])
        net.setInput(data)
        out = np.asarray(net.forward(), dtype=np.float32)
        return {"shape": list(out.shape), "values": out.ravel().tolist()}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}


def main():
    jobs_file, results_file = sys.argv[1:3]
    with open(jobs_file) as f:
        jobs = json.load(f)
    results = [{"checker": check(job["model"]), "opencv": run_opencv(job)} for job in jobs]
    with open(results_file, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
