print('not a CDK app directory')
