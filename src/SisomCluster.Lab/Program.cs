using SisomCluster.Lab;

return LabApplication.Run(args, Console.Out, Console.Error);
