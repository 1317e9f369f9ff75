# The dev/local image of a runnable dir: OS packages and Python dependencies, no code.
# The code is bind-mounted at run time (dt docker bash/cmd, dt test).
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}

# The context is what dockerignore.dev lets in: devops/ and pyproject.toml/poetry.lock if present.
COPY . /opt/dt/project/
RUN sh /opt/dt/project/devops/docker_build/install.sh

ENTRYPOINT ["/opt/dt/project/devops/docker_run/entrypoint.sh"]
CMD ["bash"]
