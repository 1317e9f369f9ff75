# The prod image: the dev image of the same version with the code copied in.
ARG DEV_IMAGE
FROM ${DEV_IMAGE}

COPY . /app/
WORKDIR /app
ENV DT_STAGE=prod DT_APP_DIR=/app
ENTRYPOINT ["/opt/dt/project/devops/docker_run/entrypoint.sh"]
CMD ["bash"]
