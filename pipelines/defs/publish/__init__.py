"""Publish domain: see ``assets.build_publish_asset`` (assembled in ``pipelines.definitions``)."""
