"""The Dockerfile's base image: from Amazon ECR Public's mirror of Docker's official images, by digest.

CodeBuild builds the room's image from shared addresses, where anonymous Docker Hub pulls are
rate-limited (toomanyrequests); a tag alone would let a rebuild get other bytes.
"""

import re
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parent / "Dockerfile"


def base_images() -> list[str]:
    return [line.split()[1] for line in DOCKERFILE.read_text().splitlines() if line.upper().startswith("FROM ")]


def test_every_base_image_comes_from_ecr_public_pinned_by_digest() -> None:
    images = base_images()
    assert images, "the Dockerfile has no FROM line"
    for image in images:
        assert image.startswith("public.ecr.aws/docker/library/"), image
        assert re.search(r":[\w.-]+@sha256:[0-9a-f]{64}$", image), f"{image} is not pinned by tag and digest"
