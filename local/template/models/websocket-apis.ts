import type { Resource, StackContext } from '../context';
import { apiGatewayId, shortId } from '../names';
import type { TemplateObject } from '../parse-template';
import type { FunctionModel, WebSocketApiModel, WebSocketRouteModel } from '../types';
import { obj, str } from '../values';

export const API_TYPES: ReadonlySet<string> = new Set([
  'AWS::Serverless::WebSocketApi',
  'AWS::ApiGatewayV2::Api',
]);

type FunctionByArn = (arn: string) => FunctionModel | undefined;

/** WebSocket APIs, SAM's or built from ApiGatewayV2 routes, integrations and stages. */
export function webSocketApiModels(ctx: StackContext, byArn: FunctionByArn): WebSocketApiModel[] {
  const out: WebSocketApiModel[] = [];
  for (const [id, res] of ctx.ofType(API_TYPES)) {
    const p = ctx.props(id);
    const apiId = apiGatewayId(ctx.stackName, id);
    const shape =
      res.Type === 'AWS::ApiGatewayV2::Api' ? v2Api(ctx, id, apiId, p, byArn) : samApi(ctx, id, p, byArn);
    if (!shape) continue;
    let stageName = shape.stageName;
    if (!stageName) {
      stageName = 'default';
      ctx.warn(`${id}: no stage name; serving the API at /default`);
    }
    out.push({
      logicalId: id,
      apiId,
      name: ctx.nameOf(id),
      routeSelectionExpression: str(p.RouteSelectionExpression) ?? '$request.body.action',
      stageName,
      routes: shape.routes,
      endpointUrl: `https://${apiId}.execute-api.${ctx.region}.amazonaws.com/${stageName}`,
    });
  }
  return out;
}

interface ApiShape {
  routes: WebSocketRouteModel[];
  stageName?: string;
}

/** The function an integration URI (or a function ARN) names; warns when it is not in the template. */
function functionOf(ctx: StackContext, byArn: FunctionByArn, owner: string, uri: string | undefined) {
  if (!uri) return undefined;
  const m = /functions\/(arn:[^/]+)\/invocations/.exec(uri);
  const fn = byArn(m?.[1] ?? uri);
  if (!fn) ctx.warn(`${owner}: integration target ${uri} is not a function of this template`);
  return fn?.logicalId;
}

function samApi(ctx: StackContext, id: string, p: TemplateObject, byArn: FunctionByArn): ApiShape {
  const routes: WebSocketRouteModel[] = [];
  for (const [routeKey, raw] of Object.entries(obj(p.Routes))) {
    const r = obj(raw);
    const arn = str(r.FunctionArn);
    routes.push({
      routeKey,
      functionLogicalId: arn ? functionOf(ctx, byArn, id, arn) : undefined,
      routeResponse: r.RouteResponseSelectionExpression !== undefined,
    });
  }
  warnStage(ctx, id, p);
  if (p.Auth !== undefined) ctx.warn(`${id}: Auth is not enforced locally: every connection is allowed`);
  if (p.Domain !== undefined) ctx.warn(`${id}: custom domains are not emulated`);
  return { routes, stageName: str(p.StageName) };
}

function v2Api(
  ctx: StackContext,
  id: string,
  apiId: string,
  p: TemplateObject,
  byArn: FunctionByArn,
): ApiShape | undefined {
  if (str(p.ProtocolType) !== 'WEBSOCKET') {
    ctx.warn(`${id}: ${str(p.ProtocolType)} APIs are not emulated (WEBSOCKET only)`);
    return undefined;
  }
  const mine = (type: string): [string, Resource][] =>
    ctx.ofType(type).filter(([childId]) => str(ctx.props(childId).ApiId) === apiId);
  const integrations = new Map(
    mine('AWS::ApiGatewayV2::Integration').map(([iid]) => [shortId(ctx.stackName, iid), iid]),
  );
  const responses = new Set(
    mine('AWS::ApiGatewayV2::RouteResponse').map(([rid]) => str(ctx.props(rid).RouteId)),
  );
  const routes: WebSocketRouteModel[] = [];
  for (const [rid] of mine('AWS::ApiGatewayV2::Route')) {
    const rp = ctx.props(rid);
    const target = str(rp.Target);
    const integrationId = target?.replace(/^integrations\//, '');
    const integration = integrationId ? integrations.get(integrationId) : undefined;
    let functionLogicalId: string | undefined;
    if (integration) {
      const ip = ctx.props(integration);
      const type = str(ip.IntegrationType) ?? 'AWS_PROXY';
      if (type !== 'AWS_PROXY' && type !== 'AWS')
        ctx.warn(`${integration}: ${type} integrations are not emulated`);
      else functionLogicalId = functionOf(ctx, byArn, integration, str(ip.IntegrationUri));
    } else if (target) ctx.warn(`${rid}: target ${target} is not an integration of ${id}`);
    if (rp.AuthorizationType !== undefined && str(rp.AuthorizationType) !== 'NONE') {
      ctx.warn(`${rid}: authorization ${str(rp.AuthorizationType)} is not enforced locally`);
    }
    const hasSelection = rp.RouteResponseSelectionExpression !== undefined;
    const hasResponse = responses.has(shortId(ctx.stackName, rid));
    if (hasSelection !== hasResponse) {
      ctx.warn(`${rid}: a route response needs both a RouteResponse and RouteResponseSelectionExpression`);
    }
    routes.push({
      routeKey: str(rp.RouteKey) ?? '',
      functionLogicalId,
      routeResponse: hasSelection && hasResponse,
    });
  }
  const stages = mine('AWS::ApiGatewayV2::Stage');
  const stageName = stages[0] ? str(ctx.props(stages[0][0]).StageName) : undefined;
  if (stages.length > 1) ctx.warn(`${id}: several stages; serving only ${stageName}`);
  for (const [sid] of stages) warnStage(ctx, sid, ctx.props(sid));
  return { routes, stageName };
}

function warnStage(ctx: StackContext, id: string, p: TemplateObject): void {
  const settings = obj(p.DefaultRouteSettings);
  if (p.AccessLogSettings !== undefined || settings.LoggingLevel !== undefined || settings.DataTraceEnabled) {
    ctx.warn(`${id}: stage logging is not emulated (needs an AWS::ApiGateway::Account role on AWS)`);
  }
  if (settings.ThrottlingRateLimit !== undefined || settings.ThrottlingBurstLimit !== undefined) {
    ctx.warn(`${id}: stage throttling settings are not emulated`);
  }
}
