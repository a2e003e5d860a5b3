import { ApiGatewayConnectionSender } from '../../../../src/delivery/connection-sender';
import type * as AwsClients from '../../../../src/shared/aws-clients';

/**
 * src/shared/aws-clients with the handlers' @connections sender swapped for the SDK client sender,
 * so handler unit tests can script @connections answers with aws-sdk-client-mock. Both senders
 * share one retry policy and give the same outcomes; tests/integration/delivery runs both against
 * the local stack, and the integration and e2e tests run the lean one the handlers really use.
 * Use: jest.mock('<path>/src/shared/aws-clients', () => jest.requireActual('<path>/sdk-connection-sender').awsClientsWithSdkSender());
 */
export const awsClientsWithSdkSender = (): typeof AwsClients => {
  const actual = jest.requireActual<typeof AwsClients>('../../../../src/shared/aws-clients');
  return {
    ...actual,
    createConnectionSender: ((callbackUrl: string, maxSockets: number) =>
      new ApiGatewayConnectionSender(
        actual.createManagementApiClient(callbackUrl, maxSockets),
      )) as unknown as typeof actual.createConnectionSender,
  };
};
